import streamlit as st
st.title('forecast')
