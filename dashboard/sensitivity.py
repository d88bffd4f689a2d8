import streamlit as st
st.title('sensitivity')
